/**
 * The MongoDB wire emulator the tests use (test/helpers/mongo-emulator.ts), in a process of its
 * own so that it does not share the benchmark's CPU with the load generator. Prints its URI.
 */
import { startEmulator } from '../../test/helpers/mongo-emulator.ts';

const emulator = await startEmulator({ replicaSet: true });
process.stdout.write(`emulator listening at ${emulator.uri}\n`);
const stop = () => void emulator.stop().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
