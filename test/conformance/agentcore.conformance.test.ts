import { agentCoreFixture } from './agentcore.fixture.js';
import { runConformanceSuite } from './conformance-suite.js';

runConformanceSuite(agentCoreFixture);
