/**
 * The per-event paths (KVM_IRQ_LINE decode, acknowledge, EOI, line refresh) write some uapi
 * constants as literals (an imported binding costs a load and a check per use in V8's optimised
 * code). This pins the values those literals stand for, so a change of one of them fails here.
 */
import { KVM_LINE_FIQ, KVM_LINE_IRQ } from '@kvmdev/core';
import { ACC_32, ACC_64, ACC_8 } from '../src/regs/common.js';
import { PENDING_SLOTS, PENDING_SLOT_OF } from '../src/state.js';
import * as U from '../src/uapi.js';

test('the literals of the per-event paths are the uapi values', () => {
  expect({
    GIC_SPURIOUS: U.GIC_SPURIOUS,
    GIC_SPURIOUS_OTHER_GROUP: U.GIC_SPURIOUS_OTHER_GROUP,
    VGIC_NR_SGIS: U.VGIC_NR_SGIS,
    VGIC_NR_PRIVATE_IRQS: U.VGIC_NR_PRIVATE_IRQS,
    KVM_LINE_IRQ,
    KVM_LINE_FIQ,
    KVM_ARM_IRQ_TYPE_SHIFT: U.KVM_ARM_IRQ_TYPE_SHIFT,
    KVM_ARM_IRQ_TYPE_MASK: U.KVM_ARM_IRQ_TYPE_MASK,
    KVM_ARM_IRQ_TYPE_SPI: U.KVM_ARM_IRQ_TYPE_SPI,
    KVM_ARM_IRQ_NUM_MASK: U.KVM_ARM_IRQ_NUM_MASK,
    ICC_IAR0_EL1: U.ICC_IAR0_EL1,
    ICC_IAR1_EL1: U.ICC_IAR1_EL1,
    ICC_EOIR0_EL1: U.ICC_EOIR0_EL1,
    ICC_EOIR1_EL1: U.ICC_EOIR1_EL1,
    ACC_8,
    ACC_32,
    ACC_64,
    PENDING_SLOT_OF,
    PENDING_SLOTS,
  }).toEqual({
    GIC_SPURIOUS: 1023,
    GIC_SPURIOUS_OTHER_GROUP: 1022,
    VGIC_NR_SGIS: 16,
    VGIC_NR_PRIVATE_IRQS: 32,
    KVM_LINE_IRQ: 0,
    KVM_LINE_FIQ: 1,
    KVM_ARM_IRQ_TYPE_SHIFT: 24,
    KVM_ARM_IRQ_TYPE_MASK: 0xf,
    KVM_ARM_IRQ_TYPE_SPI: 1,
    KVM_ARM_IRQ_NUM_MASK: 0xffff,
    ICC_IAR0_EL1: 0xc640,
    ICC_IAR1_EL1: 0xc660,
    ICC_EOIR0_EL1: 0xc641,
    ICC_EOIR1_EL1: 0xc661,
    // RegTable.get tests the access flags against the width itself
    ACC_8: 1,
    ACC_32: 4,
    ACC_64: 8,
    // delivery.update writes PendingSet.add/remove out with the layout's offsets
    PENDING_SLOT_OF: 2,
    PENDING_SLOTS: 66,
  });
});
