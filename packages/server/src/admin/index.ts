export { AdminStore, type ApiTokenInfo } from './adminStore.ts';
export {
  type ComponentHistory,
  parseHistoryDays,
  readHistory,
  type UsageHistoryDocument,
  usageHistory,
} from './history.ts';
export { LOGIN_FAILURES_PER_MINUTE } from './loginLimiter.ts';
export { adminOpenApi } from './openapi.ts';
export { generatePassword, hashPassword, verifyPassword } from './password.ts';
export { type Access, type AdminRoute, adminRoutes, authorize, MIN_NEW_PASSWORD } from './policies.ts';
export {
  type ComponentUsage,
  type CurrentUser,
  componentUsage,
  currentUsers,
  readComponents,
} from './usage.ts';
