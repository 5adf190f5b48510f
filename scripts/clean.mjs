#!/usr/bin/env node
// Empties lib/ before `npm run build`, so a module deleted from src/ can never linger in lib/ and
// ship in a tarball packed from a working tree.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

rmSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'lib'), { recursive: true, force: true });
