import { Controller, Post } from '@nestjs/common';
import { endUserParams } from '../admin/admin-sessions.schemas.js';
import { problemResponses } from '../http/problem-responses.js';
import { Route, Valid } from '../http/route-spec.js';
import { erasureView } from './erasure.schemas.js';
import { ErasureService } from './erasure.service.js';

/** Users' data (API.md §10). */
@Controller('v1/users')
export class ErasureController {
  constructor(private readonly erasure: ErasureService) {}

  @Post(':userId/erase')
  @Route({
    operationId: 'eraseUser',
    summary:
      "Erase an end user: their live sessions end, their transcripts' content and session metadata are deleted, and every record keeps a pseudonym " +
      '(`erased:` + a keyed digest) in place of their id; audit verification and cost totals are unchanged. Audited as `user.erased`',
    tag: 'Administration',
    access: { kind: 'tenant', roles: ['admin'] },
    params: endUserParams,
    responses: { 202: { description: 'The user is erased', schema: erasureView }, ...problemResponses(400, 401, 403) },
  })
  erase(@Valid('params') params: { userId: string }) {
    return this.erasure.erase(params.userId);
  }
}
