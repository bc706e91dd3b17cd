import { ConfigError, loadGatewayConfig, tracesExporter } from './gateway.config';

describe('tracing settings', () => {
  const exporter = (env: Record<string, string>) => tracesExporter(loadGatewayConfig(env));

  it('are off unless an exporter or an OTLP endpoint is configured', () => {
    expect(exporter({})).toBe('none');
    expect(exporter({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('otlp');
    expect(exporter({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector/v1/traces' })).toBe('otlp');
    expect(exporter({ OTEL_TRACES_EXPORTER: 'console' })).toBe('console');
    expect(
      exporter({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }),
    ).toBe('none');
    expect(exporter({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toBe('none');
  });

  it('name the variable that is wrong', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadGatewayConfig(env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT: OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL',
    ]);
    expect(problems({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toEqual([
      'OTEL_EXPORTER_OTLP_PROTOCOL: only http/json is supported',
    ]);
    expect(problems({ OTEL_TRACES_EXPORTER: 'zipkin' })[0]).toMatch(/^OTEL_TRACES_EXPORTER: /);
    expect(problems({ OTEL_TRACES_SAMPLER_ARG: '2' })[0]).toMatch(/^OTEL_TRACES_SAMPLER_ARG: /);
    expect(problems({ OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign' })[0]).toMatch(
      /^OTEL_EXPORTER_OTLP_HEADERS: /,
    );
    expect(problems({ OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer abc,x-team=sync' })).toEqual([]);
  });
});

describe('the conflict policy and the sweep', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadGatewayConfig(env);
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };

  it('push everything and sweep hourly unless configured', () => {
    const config = loadGatewayConfig({});
    expect(config.CONFLICT_POLICY).toEqual({});
    expect(config.SWEEP_INTERVAL_SECONDS).toBe(3_600);
    expect(config.SWEEP_PROVIDER_SHARE).toBe(0.2);
    const policy = { 'two-checkout': { default: 'push', fields: { phone: 'adopt' } } };
    expect(loadGatewayConfig({ CONFLICT_POLICY: JSON.stringify(policy) }).CONFLICT_POLICY).toEqual(policy);
  });

  it('name every problem of the policy on a line of its own', () => {
    expect(
      problems({ CONFLICT_POLICY: '{"two-checkout": {"default": "merge", "fields": {"shoe": "adopt"}}}' }),
    ).toEqual([
      'CONFLICT_POLICY: "two-checkout".default must be "push" or "adopt"',
      expect.stringMatching(/^CONFLICT_POLICY: "two-checkout".fields.shoe is not a compared field/),
    ]);
    expect(problems({ CONFLICT_POLICY: 'push' })).toEqual([
      'CONFLICT_POLICY: CONFLICT_POLICY must be a JSON object',
    ]);
    expect(problems({ SWEEP_PROVIDER_SHARE: '0' })[0]).toMatch(/^SWEEP_PROVIDER_SHARE: /);
  });
});
