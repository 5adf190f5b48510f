/** Entry point action.yml runs: `node "$GITHUB_ACTION_PATH/lib/src/gate/action-main.js"`. */
import { processIO } from '../cli/io.js';
import { runAction } from './action.js';

const io = processIO();
process.exitCode = await runAction({ ...io, cwd: process.env['GITHUB_WORKSPACE'] || io.cwd });
