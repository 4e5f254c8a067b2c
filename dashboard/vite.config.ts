import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The dashboard's bundle: built by `npm run build` (scripts/build.mjs) into dist/dashboard/, which the
 * gateway serves at /dashboard (src/dashboard.ts). Every asset is local (no CDN); hashed file names let
 * the gateway cache them for a year.
 */
export default defineConfig({
  base: '/dashboard/',
  plugins: [react()],
  // `npm run dashboard:dev`: Vite's dev server (hot reload) on :5173, its GraphQL and WebSocket calls passed to
  // the gateway of `npm run demo` on :4000.
  server: { proxy: { '/graphql': { target: 'http://localhost:4000', ws: true } } },
  build: {
    outDir: '../dist/dashboard',
    emptyOutDir: true,
    target: 'es2022',
    // Inline nothing as data: URLs (the page's CSP allows only its own origin) and no source maps in the image.
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
});
