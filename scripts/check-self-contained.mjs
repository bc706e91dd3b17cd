#!/usr/bin/env node
// Fails when a tracked test, script or source file points outside the repository root.
//
// Why: CI clones the repository with other folders beside it (the workplace lays shared material
// next to every clone), so a test that reads `../shared/...` passes in CI and fails on a fresh
// clone anywhere else, which is what the README's two commands promise to work on. This check
// reads every tracked code file and refuses:
// - a relative path literal ('../x', './a/../../b') that, resolved from the file's own folder,
//   lands outside the repository;
// - `resolve(__dirname, …)` / `join(__dirname, …)` whose literal arguments land outside it;
// - the names that reached outside before: the provider documents' folder beside the clone, and
//   the variable that pointed at it (spelled in parts below, so that this file does not name them);
// - a package.json script or .ci file that climbs out with `../`.
// It is static on purpose: cheap enough for every CI run, and a path built at run time from
// something other than literals is rare enough here to be caught by review.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CODE = /\.(c|m)?(t|j)sx?$/;
const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter((file) => file !== '' && (CODE.test(file) || file.startsWith('.ci/')));

const outside = (path) => {
  const rel = relative(root, path);
  return rel === '..' || rel.startsWith('../') || isAbsolute(rel);
};
const FORBIDDEN = [
  new RegExp(['shared', 'seeds'].join('\\/')),
  new RegExp(`\\b${['SEEDS', 'DIR'].join('_')}\\b`),
];
/** A quoted literal without interpolation: '…', "…" or `…` with no ${. */
const LITERAL = /'([^'\\\n]*)'|"([^"\\\n]*)"|`([^`\\$]*)`/g;
const DIRNAME_CALL = /\b(?:resolve|join)\(\s*__dirname\s*((?:,\s*(?:'[^']*'|"[^"]*"))+)\s*\)/g;

const findings = [];
for (const file of files) {
  const text = readFileSync(join(root, file), 'utf8');
  const folder = dirname(join(root, file));
  const where = (index) => `${file}:${text.slice(0, index).split('\n').length}`;
  for (const pattern of FORBIDDEN) {
    for (const match of text.matchAll(new RegExp(pattern, 'g'))) {
      findings.push(`${where(match.index)}: names ${match[0]}, which lives outside the repository`);
    }
  }
  for (const match of text.matchAll(LITERAL)) {
    const literal = match[1] ?? match[2] ?? match[3] ?? '';
    // Globs (lint rules' import patterns) name module specifiers, not files.
    if (!/^\.\.?\//.test(literal) || !literal.includes('..') || literal.includes('*')) continue;
    if (outside(resolve(folder, literal)))
      findings.push(`${where(match.index)}: '${literal}' points outside the repository`);
  }
  for (const match of text.matchAll(DIRNAME_CALL)) {
    const parts = [...match[1].matchAll(/'([^']*)'|"([^"]*)"/g)].map((part) => part[1] ?? part[2]);
    if (outside(resolve(folder, ...parts)))
      findings.push(`${where(match.index)}: ${match[0]} points outside the repository`);
  }
}
const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts ?? {};
for (const [name, command] of Object.entries(scripts)) {
  if (/(^|[\s=])\.\.\//.test(command))
    findings.push(`package.json scripts.${name}: climbs out of the repository`);
}

if (findings.length > 0) {
  process.stderr.write(
    `Files that reach outside the repository (a fresh clone has nothing beside it):\n${findings.join('\n')}\n`,
  );
  process.exit(1);
}
process.stdout.write(
  `check-self-contained: ${files.length} files, nothing reaches outside the repository.\n`,
);
