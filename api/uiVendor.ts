// The web UI's one library, uPlot (charts), copied from node_modules into dist/api/ui-vendor by
// `npm run build` (node dist/api/uiVendor.js) and served by the API at /ui/vendor/: bundled at
// build time, nothing fetched from the internet when the page runs.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const VENDOR_DIR = join(__dirname, 'ui-vendor');
export const VENDOR_FILES = { 'uPlot.iife.min.js': 'uplot/dist/uPlot.iife.min.js', 'uPlot.min.css': 'uplot/dist/uPlot.min.css' };

export function copyVendorFiles(): void {
  mkdirSync(VENDOR_DIR, { recursive: true });
  for (const [to, from] of Object.entries(VENDOR_FILES)) copyFileSync(require.resolve(from), join(VENDOR_DIR, to));
  copyFileSync(join(dirname(require.resolve('uplot/package.json')), 'LICENSE'), join(VENDOR_DIR, 'uPlot.LICENSE'));
}

if (require.main === module) {
  copyVendorFiles();
  console.log(`[sluice] web UI library: ${VENDOR_DIR}`);
}
