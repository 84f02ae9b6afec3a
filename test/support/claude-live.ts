/**
 * A broker's runtime settings for tests that drive one Claude emulator of
 * their own (its faults and counters in the test's hands): Claude `live`
 * against it, every other runtime off.
 */
export function claudeLiveOnly(emulatorUrl: string): Record<string, string> {
  return {
    SWITCHBOARD_CLAUDE_MODE: 'live',
    ANTHROPIC_API_KEY: 'sk-ant-test',
    ANTHROPIC_BASE_URL: emulatorUrl,
    SWITCHBOARD_AGENTCORE_MODE: 'off',
    SWITCHBOARD_FOUNDRY_MODE: 'off',
    SWITCHBOARD_VERTEX_MODE: 'off',
  };
}
