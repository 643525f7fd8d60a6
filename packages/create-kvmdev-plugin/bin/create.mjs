#!/usr/bin/env node
// create-kvmdev-plugin: `npm create kvmdev-plugin <dir> [-- options]` writes a standalone kvmdev
// device plugin package (own tsconfig, jest config, conformance-kit test, README with the
// attribute table, changesets, an example device). Run with --help for the options.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const PKG_ROOT = resolve(HERE, '..');
const TEMPLATE = join(PKG_ROOT, 'template');

const USAGE = `usage: npm create kvmdev-plugin <dir> [-- options]
       npx create-kvmdev-plugin <dir> [options]

options:
  --name <package-name>   npm name of the plugin (default: the folder name)
  --device <id>           the device's id in its key "<package-name>:<id>" (default: "scratch")
  --description <text>    one line for package.json and the README
  --tarballs <dir>        take the @kvmdev packages from the tarballs in <dir> (pnpm release:pack
                          output) instead of the registry: devDependencies point at file: paths
  -h, --help              this text

Then: cd <dir> && npm install && npm test`;

/** Thrown for bad input: printed without a stack, exit 2. */
class UsageError extends Error {}

function parseArgs(argv) {
  const o = { dir: null, name: null, device: 'scratch', description: null, tarballs: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '-h' || a === '--help') return null;
    else if (a === '--name') o.name = value();
    else if (a === '--device') o.device = value();
    else if (a === '--description') o.description = value();
    else if (a === '--tarballs') o.tarballs = resolve(value());
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else if (o.dir === null) o.dir = a;
    else throw new UsageError(`one folder only (got ${o.dir} and ${a})`);
  }
  if (o.dir === null) throw new UsageError('name the folder to create: npm create kvmdev-plugin my-plugin');
  return o;
}

// npm's rules for a package name (validate-npm-package-name, for new packages)
const NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/** The versions of the @kvmdev packages this generator belongs to (versions.json when packed, else the workspace). */
function kvmdevVersions() {
  const packed = join(PKG_ROOT, 'versions.json');
  if (existsSync(packed)) return JSON.parse(readFileSync(packed, 'utf8'));
  const out = {};
  const packages = resolve(PKG_ROOT, '..');
  for (const d of ['core', 'testing', 'oracle', 'cli', 'mpic', 'xics', 'arm-vgic']) {
    const f = join(packages, d, 'package.json');
    if (existsSync(f)) {
      const p = JSON.parse(readFileSync(f, 'utf8'));
      out[p.name] = p.version;
    }
  }
  if (!out['@kvmdev/core']) throw new Error('create-kvmdev-plugin: no versions.json and no workspace packages next to it');
  return out;
}

/** `@kvmdev/x` → the tarball for it in `dir` (from its manifest.json, or by file name). */
function tarballsIn(dir) {
  if (!existsSync(dir)) throw new UsageError(`--tarballs ${dir}: no such folder`);
  const manifest = join(dir, 'manifest.json');
  const files = {};
  const versions = {};
  if (existsSync(manifest))
    for (const t of JSON.parse(readFileSync(manifest, 'utf8'))) {
      files[t.name] = join(dir, t.file);
      versions[t.name] = t.version;
    }
  else
    for (const f of readdirSync(dir)) {
      const m = /^kvmdev-(.+)-(\d+\.\d+\.\d+.*)\.tgz$/.exec(f);
      if (m) {
        files[`@kvmdev/${m[1]}`] = join(dir, f);
        versions[`@kvmdev/${m[1]}`] = m[2];
      }
    }
  if (!files['@kvmdev/core']) throw new UsageError(`--tarballs ${dir}: no @kvmdev/core tarball there (run pnpm release:pack)`);
  return { files, versions };
}

function manifest(o, versions, tarballs, target) {
  const spec = (name) => {
    if (tarballs) {
      if (!tarballs[name]) throw new UsageError(`--tarballs: no tarball for ${name}`);
      return `file:${relative(target, tarballs[name]).split('\\').join('/')}`;
    }
    return versions[name];
  };
  const dev = { '@kvmdev/core': spec('@kvmdev/core'), '@kvmdev/testing': spec('@kvmdev/testing'), '@kvmdev/cli': spec('@kvmdev/cli') };
  // the dependencies of the kit (the kernel comparison) and of the CLI (the first-party plugins)
  // are not on a registry either when installing from tarballs
  if (tarballs) for (const n of ['@kvmdev/oracle', '@kvmdev/mpic', '@kvmdev/xics', '@kvmdev/arm-vgic']) if (tarballs[n]) dev[n] = spec(n);
  Object.assign(dev, {
    '@changesets/cli': '2.31.1',
    '@swc/core': '1.16.22',
    '@swc/jest': '0.2.39',
    '@types/jest': '30.0.0',
    '@types/node': '20.19.43',
    jest: '30.5.2',
    tsup: '8.5.1',
    typescript: '6.0.3',
  });
  return {
    name: o.name,
    version: '0.1.0',
    description: o.description,
    keywords: ['kvm', 'kvmdev', 'kvmdev-plugin'],
    license: 'MIT',
    type: 'module',
    sideEffects: false,
    exports: {
      '.': {
        import: { types: './dist/index.d.ts', default: './dist/index.js' },
        require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
      },
      './package.json': './package.json',
    },
    main: './dist/index.cjs',
    module: './dist/index.js',
    types: './dist/index.d.cts',
    files: ['dist', 'README.md'],
    engines: { node: '>=20.19' },
    scripts: {
      build: 'tsup',
      typecheck: 'tsc --noEmit',
      test: 'jest',
      types: `kvmdev types --plugin ${o.name}`,
      vm: 'kvmdev run examples/vm.yaml',
      changeset: 'changeset',
      prepublishOnly: 'npm run typecheck && npm test && npm run build',
    },
    peerDependencies: { '@kvmdev/core': `^${versions['@kvmdev/core']}` },
    devDependencies: dev,
  };
}

function fill(text, vars) {
  return text.replace(/__([A-Z_]+)__/g, (m, k) => (k in vars ? vars[k] : m));
}

function copyTemplate(from, to, vars) {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, e.name);
    // npm never packs a .gitignore, so the template keeps it as `gitignore`
    const dst = join(to, e.name === 'gitignore' ? '.gitignore' : e.name);
    if (e.isDirectory()) copyTemplate(src, dst, vars);
    else writeFileSync(dst, fill(readFileSync(src, 'utf8'), vars));
  }
}

function main(argv) {
  const o = parseArgs(argv);
  if (!o) {
    console.log(USAGE);
    return 0;
  }
  const target = resolve(o.dir);
  if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length > 0))
    throw new UsageError(`${o.dir} exists and is not an empty folder`);
  o.name ??= basename(target);
  if (!NAME.test(o.name) || o.name.length > 214) throw new UsageError(`"${o.name}" is not a valid npm package name (lower case, no spaces; give --name)`);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(o.device)) throw new UsageError(`--device "${o.device}": use lower case letters, digits and dashes`);
  o.description ??= `the ${o.device} device for kvmdev.`;
  const packed = o.tarballs ? tarballsIn(o.tarballs) : null;
  const versions = packed ? packed.versions : kvmdevVersions();
  const tarballs = packed ? packed.files : null;
  const pkg = manifest(o, versions, tarballs, target);
  const vars = { NAME: o.name, DEVICE_KEY: `${o.name}:${o.device}`, DESCRIPTION: o.description, CORE_RANGE: `^${versions['@kvmdev/core']}` };
  copyTemplate(TEMPLATE, target, vars);
  writeFileSync(join(target, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  const rel = relative(process.cwd(), target) || '.';
  console.log(`created ${o.name} in ${rel} (device key '${vars.DEVICE_KEY}', @kvmdev/core ${versions['@kvmdev/core']}${tarballs ? ', from tarballs' : ''})

next:
  cd ${rel}
  npm install
  npm test            # the conformance kit and the device tests
  npm run build && npm run types && npm run vm`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`create-kvmdev-plugin: ${e.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else throw e;
}
