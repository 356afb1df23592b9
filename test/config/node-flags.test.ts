import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { PROJECT_ROOT } from '../../src/paths.ts';
import { NODE_FLAGS } from '../../src/runtime.ts';

const read = (file: string) => readFile(join(PROJECT_ROOT, file), 'utf8');

t.test('npm start and the image run the service with the Node.js flags', async (t) => {
  const { scripts } = JSON.parse(await read('package.json')) as { scripts: Record<string, string> };
  t.equal(scripts.start, `node ${NODE_FLAGS.join(' ')} dist/src/server.js`);

  const cmd = (await read('Dockerfile')).split('\n').find((line) => line.startsWith('CMD '));
  t.equal(cmd, `CMD ${JSON.stringify(['node', ...NODE_FLAGS, 'dist/src/server.js'])}`.replaceAll(',', ', '));
});

t.test('the tests run with them too, so they exercise the runtime the service has', async (t) => {
  for (const flag of NODE_FLAGS) t.ok(process.execArgv.includes(flag), `${flag} is given to the test processes`);
});
