import { writeClusterTemplate } from '#libs/persistence';

/** The build's last step: the initdb output new embedded databases start from (libs/persistence/cluster-template.ts). */
const began = performance.now();
const file = await writeClusterTemplate();
console.log(`embedded database template: ${file} (${Math.round(performance.now() - began)} ms)`);
