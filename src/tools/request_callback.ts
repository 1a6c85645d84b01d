import { z } from 'zod';
import { requestCallback } from '../callbacks/service.js';
import { findService } from '../domain/catalog.js';
import { msg } from '../domain/messages.js';
import { parseWhen } from '../domain/when.js';
import { CALLBACK_URGENCIES } from '../store/ports.js';
import { customerPhone, isoDate, phoneArg, serviceName } from './args.js';
import { defineTool } from './types.js';

const PARTS_OF_DAY = ['morning', 'afternoon', 'evening'] as const;

export const requestCallbackTool = defineTool({
  name: 'request_callback',
  description:
    "Ask for someone from the business to call the caller back, when they can't or won't book now (a quote, a question, an emergency). Ask for the reason and how urgent it is. A second request from the same number updates the first. The answer says by when they will be called.",
  schema: z
    .object({
      customer_name: z.string().trim().min(1).max(100).describe("The caller's name."),
      customer_phone: customerPhone,
      reason: z.string().trim().min(1).max(500).describe('What the call back is about, in a few words.'),
      urgency: z.enum(CALLBACK_URGENCIES).default('medium').describe('urgent, high, medium (default) or low.'),
      // One plain string (not a union), so every platform's schema dialect can carry it.
      preferred_time: isoDate
        .optional()
        .describe('When suits the caller: morning, afternoon, evening, or a business-local date-time such as 2026-03-16T14:30.'),
      service_name: serviceName.optional(),
    })
    .strict(),
  mutating: true,
  callerPhoneArg: 'customer_phone',
  async handler({ deps, platform }, input) {
    const phone = phoneArg(deps, input.customer_phone);
    const service = input.service_name ? findService(deps.config, input.service_name) : undefined;
    let preferred: string | null = input.preferred_time?.toLowerCase() ?? null;
    if (preferred && !(PARTS_OF_DAY as readonly string[]).includes(preferred)) {
      // Stored as the business-local wall time it names, checked like every other date argument.
      preferred = deps.speech.iso(parseWhen(preferred, deps.rules.zone, 'preferred_time').ms).slice(0, 16);
    }
    const out = await requestCallback(deps, {
      customerName: input.customer_name,
      customerPhone: phone,
      reason: input.reason,
      urgency: input.urgency,
      preferredTime: preferred,
      serviceId: service?.id ?? null,
      source: platform,
    });
    const c = out.callback;
    return {
      say: msg('CALLBACK_REQUESTED', {
        business: deps.config.business.name,
        dueAt: c.dueAt,
        closedNow: out.promise.closedNow,
        outsideHours: out.promise.outsideHours,
        updated: out.updated,
      }),
      data: {
        callback: { id: c.id, status: c.status, urgency: c.urgency, due: deps.speech.iso(c.dueAt), updated: out.updated },
      },
    };
  },
});
