import { catchUp } from './catch-up.js';
import { equivocationStorm } from './equivocation-storm.js';
import { flPoisoning } from './fl-poisoning.js';
import { oracleDemo } from './oracle-demo.js';
import { partitionHeal50 } from './partition-heal-50.js';
import { scale } from './scale.js';
import { secagg } from './secagg.js';
import { keyRotation } from './key-rotation.js';
import { arbsphere } from './arbsphere.js';

/**
 * Built-in scenarios. Each is a function of `short`: the full version is what `npm run sim`
 * runs; the short one (few nodes, seconds) is what `npm test` runs. Both have pass criteria.
 */
export const BUILT_IN: Record<string, (short: boolean, nodes?: number) => Record<string, unknown>> = {
  'oracle-demo': oracleDemo,
  'partition-heal-50': partitionHeal50,
  'equivocation-storm': equivocationStorm,
  'catch-up': catchUp,
  'fl-poisoning': flPoisoning,
  scale,
  secagg,
  'key-rotation': keyRotation,
  arbsphere,
};
