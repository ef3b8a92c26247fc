export { clipHandlers } from './testing/msw.js';
export type { ClipHandlersOptions } from './testing/msw.js';
