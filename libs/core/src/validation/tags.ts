import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/** A tag: letters, digits and `_ - . : /`, starting with a letter or digit (stored lower-case). */
export const TAG_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N}_\-.:/ ]*$/u;
export const TAG_MESSAGE = 'each tag must start with a letter or digit and hold only letters, digits, space and _-.:/';

/**
 * An optional list of at most 20 tags of at most 50 characters each, in TAG_PATTERN: the rules
 * and their OpenAPI schema (merged with the property's own description and example).
 */
export const IsOptionalTagList = (): PropertyDecorator =>
  applyDecorators(
    ApiProperty({ required: false, maxItems: 20, items: { type: 'string', maxLength: 50 } }),
    IsOptional(),
    IsArray(),
    ArrayMaxSize(20),
    IsString({ each: true }),
    MaxLength(50, { each: true }),
    Matches(TAG_PATTERN, { each: true, message: TAG_MESSAGE }),
  );
