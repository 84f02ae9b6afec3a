import { claudeFixture } from './claude.fixture.js';
import { runConformanceSuite } from './conformance-suite.js';

runConformanceSuite(claudeFixture);
