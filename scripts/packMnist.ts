// Writes the held-out MNIST digits as one compact file next to the bundles (dist/), so the
// installed extension's image panel offers them without the mnist package. Run by build.mjs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '../src/shared/atomicWrite';
import { encodeDigitPack } from '../src/engine/vision/digitPack';
import { MNIST_TEST_FRACTION, MNIST_TEST_PACK, loadMnistDigits } from '../src/engine/vision/mnistDigits';
import { splitByClass } from '../src/engine/vision/imageDataset';

const out = path.resolve(process.argv[2] ?? 'dist', MNIST_TEST_PACK);
fs.mkdirSync(path.dirname(out), { recursive: true });
const test = splitByClass(loadMnistDigits(), MNIST_TEST_FRACTION).test;
writeFileAtomicSync(out, encodeDigitPack(test));
console.log(`${path.relative(process.cwd(), out)}: ${test.count} digits, ${(fs.statSync(out).size / 1024).toFixed(0)} KiB`);
