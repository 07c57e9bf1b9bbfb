import type { SimResult } from '../summary.js';
export function renderReport(r: SimResult, command: string): string {
  return `<pre>${command}\n${JSON.stringify(r.summary, null, 1)}</pre>`;
}
