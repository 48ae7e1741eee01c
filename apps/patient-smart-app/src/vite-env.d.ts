// Vite's environment variables the app reads (set in .env.development for the dev server).
interface ImportMetaEnv {
  readonly VITE_RPM_FHIR_BASE?: string;
}
