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
