/**
 * Writes the published JSON Schemas of the lab wire shapes (docs/schemas/) from their zod
 * definitions in shared/protocol/lab-manifest.ts:  node --import tsx tools/lab-schemas.ts
 * test/lab-hot-folder.test.ts fails when the files and the code disagree.
 */
import { writeFile } from 'node:fs/promises';
import { labJsonSchemas } from '../shared/protocol/lab-manifest.ts';

for (const [name, schema] of Object.entries(labJsonSchemas())) {
  const path = new URL(`../docs/schemas/${name}`, import.meta.url);
  await writeFile(path, `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote docs/schemas/${name}`);
}
