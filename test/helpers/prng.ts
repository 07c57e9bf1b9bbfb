/** Seeded PRNG for reproducible test scenarios (the simulator's). */
export { Prng } from '../../simulations/rng.js';
