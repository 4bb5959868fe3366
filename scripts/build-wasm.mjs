#!/usr/bin/env node
// Compiles the AssemblyScript kernels (assembly/) into the two builds the wasm backend chooses between at run
// time (SIMD128 and relaxed SIMD) plus the one-instruction probe that tells whether relaxed SIMD is available.
// Output goes beside the compiled backend (dist/src/backend/wasm/), a build output that is not committed.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'src', 'backend', 'wasm');
const asc = join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
mkdirSync(outDir, { recursive: true });

// Shared imported memory (up to 4 GiB) so every worker instantiates the same kernels over the same bytes;
// the stub runtime because the kernels never allocate: the host hands them addresses.
const common = [
  '-O3', '--noAssert', '--runtime', 'stub', '--importMemory', '--sharedMemory',
  '--initialMemory', '1', '--maximumMemory', '65536', '--enable', 'simd', '--enable', 'threads',
];
const builds = [
  { src: 'assembly/index.ts', out: 'kernels-simd128.wasm', extra: [] },
  { src: 'assembly/index.ts', out: 'kernels-relaxed.wasm', extra: ['--enable', 'relaxed-simd'] },
  { src: 'assembly/probe.ts', out: 'probe-relaxed.wasm', extra: ['--enable', 'relaxed-simd'] },
];
for (const b of builds) {
  execFileSync(process.execPath, [asc, b.src, '--outFile', join(outDir, b.out), ...common, ...b.extra], { cwd: root, stdio: 'inherit' });
}
