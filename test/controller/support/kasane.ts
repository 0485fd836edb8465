/** The CLI from source, for daemons run as child processes (`node --import tsx kasane.ts daemon …`). */
import { main } from '../../../src/cli/main.js';

process.exitCode = await main(process.argv);
