import { Type as NestType } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { PaginationDto } from './pagination';

/** A Swagger-visible page type for one item DTO: `class UserPageDto extends Paginated(UserResponseDto) {}`. */
export function Paginated<T>(item: NestType<T>) {
  class PageOf {
    @ApiProperty({ type: [item], description: 'Items of this page' })
    data: T[];

    @ApiProperty({ type: PaginationDto })
    pagination: PaginationDto;
  }
  return PageOf;
}
