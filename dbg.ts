const m = await import('./bench/catchup.ts');
