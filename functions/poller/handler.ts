// Placeholder until the poller core lands; the CDK construct bundles this entry point.
export const handler = async (): Promise<{ ok: boolean }> => ({ ok: true });
