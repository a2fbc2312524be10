#!/usr/bin/env node
/**
 * The repository's entry to provisioning (`npm run provision`, `pretest`, `prestart`, `.ci/run`, bench/run.mjs).
 * The work is done by the copy that ships in `@lambda-debug/lambda-emulator`, so an installed CLI
 * (`lambda-debug provision`) and the repository run the same code; it reads this process's arguments.
 *
 * Usage: node scripts/provision.mjs [--runtime RUNTIME]... [--runtime-only [RUNTIME]] [--with-browser]
 */
import '../packages/lambda-emulator/provision/provision.mjs';
