import { foundryFixture } from './foundry.fixture.js';
import { runConformanceSuite } from './conformance-suite.js';

runConformanceSuite(foundryFixture);
