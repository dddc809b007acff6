import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Django serves dist/index.html at "/" and dist/ at /static/app/ (backend/web, settings).
// For `npm run dev`, API and tile calls go to the backend (EU_BACKEND, default port 8000).
const backend = process.env.EU_BACKEND || 'http://127.0.0.1:8000';

export default defineConfig({
  base: '/static/app/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // maplibre-gl is one big module; splitting it further gains nothing here.
    chunkSizeWarningLimit: 1600,
    // Pages: the web map (index.html), the inquiry portal (inquiry.html, /enquete/<id>/) and the
    // commission workspace (commission.html, /commission/enquetes/<id>/).
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL('./index.html', import.meta.url)),
        inquiry: fileURLToPath(new URL('./inquiry.html', import.meta.url)),
        commission: fileURLToPath(new URL('./commission.html', import.meta.url)),
        dashboard: fileURLToPath(new URL('./dashboard.html', import.meta.url)),
        editor: fileURLToPath(new URL('./editor.html', import.meta.url)),
      },
    },
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': backend,
      '/tiles': backend,
    },
  },
});
