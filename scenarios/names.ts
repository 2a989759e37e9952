// The scenarios by name, apart from their code, so that listing them loads no engine.
export const SCENARIO_NAMES = ['control', 'copy', 'mpeg', 'mechanisms'] as const;
export type ScenarioName = typeof SCENARIO_NAMES[number];
