// The entry of the nodejs20.x and nodejs22.x runtimes, as Lambda's /var/runtime/index.mjs: aws-lambda-ric 3.x's
// run() with the task root and handler Lambda sets. The package's own command-line entry would also print an
// "Executing ..." line that Lambda's managed runtimes never write.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const { run } = await import(pathToFileURL(join(process.env.LAMBDA_RUNTIME_DIR, 'dist', 'index.mjs')).href);
await run(process.env.LAMBDA_TASK_ROOT, process.env._HANDLER);
