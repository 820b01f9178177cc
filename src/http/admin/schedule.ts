// Admin API: the check-in schedule (DMClient Poll), global and per device group.
import type { CheckinSchedule } from '../../domain/checkin-schedule.js';
import { CheckinScheduleService } from '../../service/checkin-schedule.js';
import type { Store } from '../../store/types.js';
import { actorOf } from './auth.js';
import type { AdminApi } from './schema-types.js';
import { idParams } from './schemas.js';
import { errorReplies, noContent, scheduleReply } from './openapi-replies.js';

// Ranges: minutes and counts as the DMClient CSP takes them, bounded to what a schedule can mean
// (the first set exists to configure a new device quickly: at most a day apart; a month at most
// between regular sessions). Cross-field rules are checked by the service (checkSchedule).
const retries = (interval: { minimum: number; maximum: number }, count: { minimum: number; maximum: number }, description: string) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['intervalMinutes', 'count'],
    description,
    properties: {
      intervalMinutes: { type: 'integer', ...interval, description: 'minutes between two scheduled sessions' },
      count: { type: 'integer', ...count, description: 'sessions in this set (0: for ever)' },
    },
  }) as const;

const scheduleBody = {
  type: 'object',
  additionalProperties: false,
  required: ['firstRetries', 'secondRetries', 'regular', 'pollOnLogin', 'allUsersPollOnFirstLogin'],
  properties: {
    firstRetries: retries(
      { minimum: 1, maximum: 1440 },
      { minimum: 1, maximum: 1000 },
      'after enrollment or a schedule change: IntervalForFirstSetOfRetries, NumberOfFirstRetries',
    ),
    secondRetries: retries(
      { minimum: 0, maximum: 43200 },
      { minimum: 0, maximum: 1000 },
      'then: IntervalForSecondSetOfRetries, NumberOfSecondRetries (interval 0: no second set)',
    ),
    regular: retries(
      { minimum: 1, maximum: 43200 },
      { minimum: 0, maximum: 1000 },
      'the long run: IntervalForRemainingScheduledRetries, NumberOfRemainingScheduledRetries (count 0: for ever). The enrollment document carries at least 1440 minutes (MS-MDE2); a shorter interval reaches the device in its first session',
    ),
    pollOnLogin: { type: 'boolean', description: 'a session at every user sign-in (PollOnLogin)' },
    allUsersPollOnFirstLogin: { type: 'boolean', description: "a session at each user's first sign-in (AllUsersPollOnFirstLogin)" },
  },
} as const;

const groupSchedule = {
  type: 'object',
  required: ['groupId', 'groupName', 'schedule', 'updatedAt'],
  properties: { groupId: { type: 'string' }, groupName: { type: 'string' }, schedule: scheduleReply, updatedAt: { type: 'string' } },
} as const;

const globalReply = {
  type: 'object',
  description: 'The global check-in schedule and the groups that have their own',
  required: ['schedule', 'source', 'groups'],
  properties: {
    schedule: scheduleReply,
    source: { type: 'string', enum: ['default', 'global'], description: 'default: the admin has set none' },
    updatedAt: { type: 'string' },
    groups: { type: 'array', items: groupSchedule, description: "device groups' own schedules (they override the global one)" },
  },
} as const;

export function scheduleRoutes(api: AdminApi, deps: { store: Store }): void {
  const schedules = new CheckinScheduleService(deps.store);
  api.get(
    '/api/v1/settings/checkin-schedule',
    {
      schema: {
        operationId: 'getCheckinSchedule',
        tags: ['settings'],
        summary: 'The global check-in schedule and the group schedules',
        response: { 200: globalReply, ...errorReplies() },
      },
    },
    () => schedules.getGlobal(),
  );
  api.put(
    '/api/v1/settings/checkin-schedule',
    {
      schema: {
        operationId: 'setCheckinSchedule',
        tags: ['settings'],
        summary: 'Set the global check-in schedule',
        body: scheduleBody,
        response: { 200: globalReply, ...errorReplies(400, 413, 415) },
      },
    },
    (request) => schedules.setGlobal(request.body as CheckinSchedule, actorOf(request)),
  );
  api.put(
    '/api/v1/groups/:id/checkin-schedule',
    {
      schema: {
        operationId: 'setGroupCheckinSchedule',
        tags: ['groups'],
        summary: "Set a device group's own check-in schedule",
        params: idParams,
        body: scheduleBody,
        response: { 200: { ...groupSchedule, description: "The group's schedule as set" }, ...errorReplies(400, 404, 413, 415) },
      },
    },
    (request) => schedules.setGroup(request.params.id, request.body as CheckinSchedule, actorOf(request)),
  );
  api.delete(
    '/api/v1/groups/:id/checkin-schedule',
    {
      schema: {
        operationId: 'deleteGroupCheckinSchedule',
        tags: ['groups'],
        summary: "Remove a device group's own check-in schedule (its devices follow the global one)",
        params: idParams,
        response: { 204: noContent('Removed'), ...errorReplies(400, 404) },
      },
    },
    async (request, reply) => {
      await schedules.deleteGroup(request.params.id, actorOf(request));
      return reply.code(204).send();
    },
  );
}
