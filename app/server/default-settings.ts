// The defaults live with the shared input checks (app/library); the server's code imports them here.
export { DEFAULT_SETTINGS } from '../library/default-settings.js';
