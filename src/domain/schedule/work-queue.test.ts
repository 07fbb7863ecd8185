import { describe, expect, it } from 'vitest';
import { claimedCustomer, claimedCustomers } from '../../../test/support/claimed-customers.js';
import { PollerError } from '../errors.js';
import { CUSTOMERS_PER_MESSAGE, parseWorkMessage, workMessages } from './work-queue.js';

describe('work messages', () => {
  it('splits claimed customers into messages of at most 25, in claim order', () => {
    const claimed = claimedCustomers(60);
    const messages = workMessages(claimed);
    expect(messages.map((message) => message.customers.length)).toEqual([25, 25, 10]);
    expect(messages.flatMap((message) => message.customers)).toEqual(claimed);
    expect(CUSTOMERS_PER_MESSAGE).toBe(25);
    expect(workMessages([])).toEqual([]);
  });

  it('reads back what it wrote', () => {
    const [message] = workMessages(claimedCustomers(3));
    expect(parseWorkMessage(JSON.stringify(message))).toEqual(message);
  });

  it.each([
    ['not JSON', '{customers:', 'malformed work message: the body is not JSON'],
    ['no customers', '{"customers":[]}', 'malformed work message: customers: '],
    [
      'a customer id that is not one',
      JSON.stringify({ customers: [claimedCustomer('12a')] }),
      'malformed work message: customers.0.customerId: ',
    ],
    [
      'more than 25 customers',
      JSON.stringify({ customers: claimedCustomers(26) }),
      'malformed work message: customers: ',
    ],
  ])('refuses %s with a typed error saying what to do', (_name, body, message) => {
    let thrown: unknown;
    try {
      parseWorkMessage(body);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PollerError);
    expect((thrown as PollerError).name).toBe('MalformedWorkMessageError');
    expect((thrown as Error).message.startsWith(message)).toBe(true);
    expect((thrown as PollerError).reason).toMatch(/deploy them together/);
  });
});
