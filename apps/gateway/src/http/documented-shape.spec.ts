import 'reflect-metadata';

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { documentedShapeErrors, isDocumentedDto } from './documented-shape';

class Line {
  @ApiProperty() value!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) note?: string | null;
}

class Form {
  @ApiPropertyOptional() name?: string;
  @ApiPropertyOptional({ type: String, nullable: true }) nickname?: string | null;
  @ApiPropertyOptional({ type: Line }) main?: Line;
  @ApiPropertyOptional({ type: () => Line, nullable: true }) spare?: Line | null;
  @ApiPropertyOptional({ type: [Line] }) lines?: Line[];
  @ApiPropertyOptional({ type: [String] }) tags?: string[];
}

class Extended extends Form {
  @ApiProperty({ type: Line }) required!: Line;
}

const fieldsOf = (body: unknown, dto: typeof Form = Form) =>
  documentedShapeErrors(body, dto).map((e) => `${e.field}:${e.code}`);

describe('documentedShapeErrors', () => {
  it('accepts a body of the documented shape, and null where the document says nullable', () => {
    expect(
      fieldsOf({
        name: 'a',
        nickname: null,
        main: { value: 'v', note: null },
        spare: null,
        lines: [{ value: 'v' }],
        tags: ['t'],
      }),
    ).toEqual([]);
    expect(fieldsOf(undefined)).toEqual([]);
  });

  it('refuses null where the document does not make the property nullable', () => {
    expect(fieldsOf({ name: null, main: { value: null } })).toEqual([
      'name:not_nullable',
      'main.value:required',
    ]);
  });

  it('refuses an array or a scalar where an object is documented, at any depth', () => {
    expect(fieldsOf({ main: [], spare: 'x', lines: [[], 1, null, { value: 'v' }] })).toEqual([
      'main:not_an_object',
      'spare:not_an_object',
      'lines.0:not_an_object',
      'lines.1:not_an_object',
      'lines.2:not_nullable',
    ]);
  });

  it('refuses a non-array where a list is documented, and a body that is not an object', () => {
    expect(fieldsOf({ lines: { value: 'v' }, tags: 't' })).toEqual([
      'lines:not_an_array',
      'tags:not_an_array',
    ]);
    expect(fieldsOf([])).toEqual(['body:not_an_object']);
  });

  it('refuses a scalar of another JSON type, in a property or a list element', () => {
    expect(fieldsOf({ name: 42, nickname: [], main: { value: {} }, tags: ['t', 1, []] })).toEqual([
      'name:not_a_string',
      'nickname:not_a_string',
      'main.value:not_a_string',
      'tags.1:not_a_string',
      'tags.2:not_a_string',
    ]);
  });

  it('reads inherited properties, and leaves undocumented ones to the whitelist', () => {
    expect(fieldsOf({ required: [], name: null, extra: null }, Extended)).toEqual([
      'name:not_nullable',
      'required:not_an_object',
    ]);
    expect(isDocumentedDto(Extended)).toBe(true);
    expect(isDocumentedDto(String)).toBe(false);
    expect(isDocumentedDto(undefined)).toBe(false);
  });
});
