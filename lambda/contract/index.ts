/**
 * The contract between the function (`lambda/`), the stack (`infra/`) and the local stack (`local/`): response
 * classes, metric names and dimensions, the namespace rule, the function's settings (environment variables,
 * defaults, limits) and the ledger's attribute names. Each fact lives here once.
 * Pure data and pure functions: imports nothing outside this folder, so every side can import it.
 */
export * from './classes.js';
export * from './ledger.js';
export * from './metrics.js';
export * from './settings.js';
