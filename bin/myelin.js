#!/usr/bin/env node
// Entry point installed as `myelin`. The compiled TypeScript lives in dist/; `npm install` builds it.
import { main } from '../dist/src/main.js';

main(process.argv.slice(2));
