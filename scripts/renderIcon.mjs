// Renders media/icon.svg to media/icon.png (128 × 128, the extension's icon) with headless Chromium
// through playwright-core: `node scripts/renderIcon.mjs`. Chromium: $VSCODE_E2E_CHROMIUM or /usr/bin/chromium.
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const svg = fs.readFileSync(path.join(root, 'media', 'icon.svg'), 'utf8');
const size = 128;
const browser = await chromium.launch({
  executablePath: process.env.VSCODE_E2E_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
  await page.setContent(
    `<html><body style="margin:0;background:transparent">` +
      `<img src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}" width="${size}" height="${size}" style="display:block"></body></html>`,
  );
  await page.locator('img').evaluate((img) => img.decode());
  const png = await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
  fs.writeFileSync(path.join(root, 'media', 'icon.png'), png);
  console.log(`media/icon.png: ${size}×${size}, ${png.length} bytes`);
} finally {
  await browser.close();
}
