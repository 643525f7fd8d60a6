/**
 * Debian packages for the oracle (kernels of other architectures, the uapi headers), fetched with
 * a private apt state inside the cache folder: the system's apt configuration, lists and
 * architectures are never touched. Needs `apt-get` and `dpkg-deb` (any Debian or Ubuntu).
 * @packageDocumentation
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './cache.js';
import { have, runOk } from './exec.js';

/** A pinned Debian package. */
export interface DebPackage {
  /** Debian package name. */
  readonly name: string;
  /** The pinned package version. */
  readonly version: string;
  /** Debian architecture (`arm64`, `ppc64el`, `all`). */
  readonly arch: string;
  /** Suite it is published in (`trixie`, `trixie-backports`). */
  readonly suite: string;
}

const MIRROR = 'http://deb.debian.org/debian';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const FOREIGN = ['arm64', 'ppc64el'];
const DAY_MS = 24 * 3600 * 1000;

/** Why packages cannot be fetched here, or null when they can. */
export function aptUnavailable(): string | null {
  if (!have('apt-get') || !have('dpkg-deb'))
    return 'apt-get and dpkg-deb are needed to fetch Debian packages';
  return null;
}

function aptOptions(root: string): string[] {
  const keyring = existsSync(KEYRING) ? `signed-by=${KEYRING}` : 'trusted=yes';
  const sources = join(root, 'sources.list');
  writeFileSync(
    sources,
    ['trixie', 'trixie-backports'].map((s) => `deb [${keyring}] ${MIRROR} ${s} main\n`).join(''),
  );
  for (const d of ['state/lists/partial', 'cache/archives/partial'])
    mkdirSync(join(root, d), { recursive: true });
  return [
    '-q',
    '-o',
    `Dir::State=${join(root, 'state')}`,
    '-o',
    `Dir::Cache=${join(root, 'cache')}`,
    '-o',
    `Dir::Etc::SourceList=${sources}`,
    '-o',
    'Dir::Etc::SourceParts=/dev/null',
    '-o',
    'APT::Sandbox::User=root',
    ...FOREIGN.flatMap((a) => ['-o', `APT::Architectures::=${a}`]),
  ];
}

/** Fetches (once) and unpacks (once) a pinned package; returns the folder it is unpacked in. */
export function debianPackage(pkg: DebPackage, log: (msg: string) => void = () => {}): string {
  const unpacked = cacheDir(join('unpacked', `${pkg.name}_${pkg.version}_${pkg.arch}`));
  const done = join(unpacked, '.unpacked');
  if (existsSync(done)) return unpacked;
  const debs = cacheDir('debs');
  const file = () =>
    readdirSync(debs).find(
      (f) =>
        f.startsWith(`${pkg.name}_`) &&
        f.endsWith(`_${pkg.arch}.deb`) &&
        f.includes(pkg.version.replace(/:/g, '%3a')),
    );
  let deb = file();
  if (!deb) {
    const root = cacheDir('apt');
    const opts = aptOptions(root);
    const lists = join(root, 'state', 'lists');
    const stamp = readdirSync(lists).filter(
      (f) => f.endsWith('Packages') || f.endsWith('InRelease'),
    );
    const fresh =
      stamp.length > 0 && Date.now() - statSync(join(lists, stamp[0]!)).mtimeMs < DAY_MS;
    if (!fresh) {
      log('apt-get update (private state in the cache)');
      runOk('apt-get', [...opts, 'update']);
    }
    const spec =
      pkg.arch === 'all' ? `${pkg.name}=${pkg.version}` : `${pkg.name}:${pkg.arch}=${pkg.version}`;
    log(`apt-get download ${spec}`);
    runOk('apt-get', [...opts, 'download', spec], { cwd: debs });
    deb = file();
    if (!deb) throw new Error(`apt-get download ${spec} left no .deb in ${debs}`);
  }
  runOk('dpkg-deb', ['-x', join(debs, deb), unpacked]);
  writeFileSync(done, `${pkg.name} ${pkg.version} ${pkg.arch}\n`);
  return unpacked;
}
