import { runConformanceOf } from './conformance-runner.js';

await runConformanceOf('vertex');
