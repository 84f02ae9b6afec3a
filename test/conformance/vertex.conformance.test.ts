import { runConformanceSuite } from './conformance-suite.js';
import { vertexFixture } from './vertex.fixture.js';

runConformanceSuite(vertexFixture);
