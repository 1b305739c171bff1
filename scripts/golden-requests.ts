/**
 * Writes the request.json of every golden scenario (test/fixtures/scenarios.ts) to
 * test/fixtures/<hook>/<name>/request.json. An argument keeps only the cases whose `<hook>/<name>` contains it.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../test/fixtures/loader.ts';
import { SCENARIOS, scenarioRequest } from '../test/fixtures/scenarios.ts';

const only = process.argv[2];
for (const c of SCENARIOS) {
  if (only !== undefined && !`${c.hook}/${c.name}`.includes(only)) continue;
  const body = scenarioRequest(c);
  const dir = join(FIXTURES, c.hook, c.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'request.json'), `${JSON.stringify(body, null, 2)}\n`);
  console.log(`wrote ${c.hook}/${c.name}/request.json`);
}
