#!/usr/bin/env node
// Checks (default) or updates (--update) the API reports of the package in the current folder:
// one api-extractor run per api-extractor*.json, over the declarations `tsc -b` wrote to
// .tsbuild/. A check fails when the public API differs from the checked-in report under api/,
// so every API change is reviewed on purpose: run `pnpm api:update` and commit api/*.api.md.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

// api-extractor names a file outside the package (a re-export's source in another package) by its
// absolute path; the reports keep it relative to the repository root, so they match in any clone
const ROOT = `${resolve(dirname(fileURLToPath(import.meta.url)), '..')}/`;
const portable = (text) => text.split(ROOT).join('');

const update = process.argv.includes('--update');
// --undocumented: list every exported symbol (and member) without TSDoc, and fail when there is one
const undocumented = process.argv.includes('--undocumented');
const missingDocs = [];
const configs = readdirSync('.').filter((f) => /^api-extractor(\.[\w-]+)?\.json$/.test(f)).sort();
if (configs.length === 0) {
  console.error('api-report: no api-extractor*.json in', process.cwd());
  process.exit(2);
}
mkdirSync('api', { recursive: true });
let failed = 0;
for (const file of configs) {
  const config = undocumented ? withUndocumentedReported(file) : ExtractorConfig.loadFileAndPrepare(file);
  const result = Extractor.invoke(config, { localBuild: update || undocumented, showVerboseMessages: false, messageCallback: quiet });
  const report = config.reportFilePath.replace(`${process.cwd()}/`, '');
  let succeeded = result.succeeded;
  if (update && existsSync(config.reportFilePath)) writeFileSync(config.reportFilePath, portable(readFileSync(config.reportFilePath, 'utf8')));
  else if (!succeeded && result.apiReportChanged && result.errorCount === 0 && existsSync(config.reportTempFilePath) && existsSync(config.reportFilePath))
    succeeded = portable(readFileSync(config.reportTempFilePath, 'utf8')) === readFileSync(config.reportFilePath, 'utf8');
  if (succeeded) console.log(`api-report: ${report} ${update && result.apiReportChanged ? 'updated' : 'up to date'}`);
  else {
    failed++;
    console.error(
      result.apiReportChanged
        ? `api-report: the public API differs from ${report}. If the change is intended, run \`pnpm api:update\` and commit the report.`
        : `api-report: ${report}: ${result.errorCount} errors, ${result.warningCount} warnings`,
    );
  }
}
if (undocumented) {
  for (const m of missingDocs) console.error(`api-report: undocumented: ${m}`);
  console.log(`api-report: ${missingDocs.length} exported symbols without TSDoc`);
  if (missingDocs.length) failed++;
}
process.exit(failed ? 1 : 0);

/** The config of `file` with ae-undocumented raised to a warning (the reports leave it out). */
function withUndocumentedReported(file) {
  const configObject = ExtractorConfig.loadFile(file);
  const reporting = configObject.messages?.extractorMessageReporting ?? {};
  reporting['ae-undocumented'] = { logLevel: 'warning', addToApiReportFile: false };
  configObject.messages = { ...configObject.messages, extractorMessageReporting: reporting };
  // the report goes to a scratch folder: this mode only reads the messages
  configObject.apiReport = { ...configObject.apiReport, reportFolder: '<projectFolder>/.tsbuild/api-docs/', reportTempFolder: '<projectFolder>/.tsbuild/api-docs/' };
  return ExtractorConfig.prepare({ configObject, configObjectFullPath: path.resolve(file), packageJsonFullPath: path.resolve('package.json') });
}

/** Keeps api-extractor's banner and routine notes off the console; warnings and errors stay. */
function quiet(message) {
  if (message.messageId === 'ae-undocumented') {
    if (undocumented) missingDocs.push(`${message.sourceFilePath ?? '?'}:${message.sourceFileLine ?? '?'} ${message.text}`);
    message.handled = true;
    return;
  }
  if (message.logLevel === 'info' || message.logLevel === 'verbose') message.handled = true;
  if (message.messageId === 'console-api-report-changed' || message.messageId === 'console-api-report-created') message.handled = true;
}
