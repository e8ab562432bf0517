/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// The desktop window loads ui/dist through Tauri's asset protocol; `llm-health serve` serves the
// same files, so every path must stay relative to the page.
export default defineConfig({
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, target: "es2021" },
  clearScreen: false,
  test: { environment: "jsdom", include: ["test/**/*.test.ts"], setupFiles: ["test/setup.ts"], restoreMocks: true, unstubGlobals: true },
});
