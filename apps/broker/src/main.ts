import { ConfigError } from '#libs/config';
import { startBroker } from './broker.js';
import { logger } from './logging/logger.js';
import { loadBrokerConfig } from './runtimes/broker-config.js';

/** `npm start`: one broker process, stopped cleanly by SIGTERM or Ctrl-C. */
let config;
try {
  config = loadBrokerConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

try {
  const broker = await startBroker(config);
  if (broker.generatedOperatorKey) {
    process.stdout.write(
      [
        '',
        '  No SWITCHBOARD_ADMIN_KEY was set, so a platform operator key was generated for this database.',
        '  It is shown this once; only its hash is stored:',
        '',
        `    SWITCHBOARD_ADMIN_KEY=${broker.generatedOperatorKey}`,
        '',
        '',
      ].join('\n'),
    );
  }
  if (broker.demo) {
    process.stdout.write(
      [
        `  A demo tenant was created (shown once): agent "${broker.demo.agentName}" on ${broker.demo.providers.join(', ')}.`,
        '',
        `    export SB=${broker.url}`,
        `    export APP_KEY=${broker.demo.appKey}`,
        `    export ADMIN_KEY=${broker.demo.adminKey}`,
        '',
        '',
      ].join('\n'),
    );
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    broker
      .close()
      .then(() => {
        logger.info('stopped cleanly');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'error while shutting down');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (error) {
  logger.fatal({ err: error }, (error as Error).message);
  process.exit(1);
}
