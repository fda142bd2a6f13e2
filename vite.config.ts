/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { packParts } from './src/cli/vite-pack-parts';

export default defineConfig({
  plugins: [react(), packParts()],
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs backends are global singletons: run files in separate forks, two at a time (2-core CI)
    pool: 'forks',
    maxWorkers: 2,
  },
});
