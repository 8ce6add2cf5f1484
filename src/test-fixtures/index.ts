import type { AppDeps } from '../app.ts';
import { allTools } from '../tools/index.ts';
import { registerConformanceExtras } from './conformance-extension.ts';
import { conformanceTools } from './conformance-tools.ts';
import { testSlow } from './slow-tool.ts';

/**
 * Test-only tools, resources and prompts: the MCP conformance suite's fixtures and a slow tool.
 * Loaded by an entry only when TEST_FIXTURES is on (which needs NODE_ENV=test), and visible only
 * to keys granted the `test-fixtures` scope.
 */
export const testFixtures: Pick<AppDeps, 'tools' | 'extension'> = {
  tools: [...allTools, ...conformanceTools, testSlow],
  extension: registerConformanceExtras,
};
