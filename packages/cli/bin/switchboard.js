#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by the root `npm run build`); this file exists before the build so npm can link the bin.
import '../dist/main.js';
