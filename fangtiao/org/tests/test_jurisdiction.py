"""Jurisdiction: the region subtree of the user's unit (DESIGN §2). Outside it: nothing."""

import pytest

from fangtiao.org import selectors
from fangtiao.org.jurisdiction import scope_of
from fangtiao.org.models import Expert, Mediator, Region, Unit, User


def names(qs):
    return sorted(o.name for o in qs)


def test_scope_of_township_clerk(world):
    scope = scope_of(world.users["clerk_t01"])
    assert scope.path == world.t01.path and not scope.all
    assert scope.ancestor_codes == ("331003",)


def test_scope_is_cached_per_user_object(world, django_assert_num_queries):
    user = User.objects.get(username="clerk_t01")
    with django_assert_num_queries(1):
        scope_of(user)
        scope_of(user)


def test_user_without_unit_sees_nothing_but_self(world):
    loner = User.objects.create_user(username="loner", password="x-Passw0rd-1")
    assert not Mediator.objects.visible_to(loner).exists()
    assert list(User.objects.visible_to(loner)) == [loner]


def test_anonymous_and_inactive_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert not Mediator.objects.visible_to(AnonymousUser()).exists()
    clerk = world.users["clerk_t01"]
    clerk.is_active = False
    assert not Region.objects.visible_to(clerk).exists()


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("clerk_t01", ["单晓曾", "王小明", "赵春花"]),
        ("clerk_t02", ["李建国"]),
        ("leader", ["单晓曾", "李建国", "王小明", "赵春花", "钱大伟"]),
    ],
)
def test_mediators_by_jurisdiction(world, username, expected):
    assert names(Mediator.objects.visible_to(world.users[username])) == expected


def test_regions_subtree_plus_ancestors(world):
    visible = {r.code for r in Region.objects.visible_to(world.users["clerk_t01"])}
    assert visible == {"331003", "331003001", "331003001201"}


def test_units_include_superior_units_for_transfers(world):
    visible = names(Unit.objects.visible_to(world.users["clerk_t01"]))
    assert "黄岩区矛盾纠纷综合化解中心" in visible  # the district above: a transfer target
    assert "东城街道人民调解委员会" in visible
    assert "西城街道人民调解委员会" not in visible  # a sibling township: not visible
    assert "下叶村人民调解委员会" not in visible


def test_expert_pool_serves_the_townships(world):
    assert names(Expert.objects.visible_to(world.users["clerk_t02"])) == ["孙律师"]


def test_staff_only_own_subtree(world):
    visible = {u.username for u in User.objects.visible_to(world.users["clerk_t02"])}
    assert visible == {"clerk_t02"}


def test_region_filter_cannot_widen_scope(world):
    """Asking for another township's region through a filter yields nothing, not its data."""
    qs = selectors.mediator_list(user=world.users["clerk_t01"], filters={"region": "331003002"})
    assert list(qs) == []


def test_village_committee_sees_its_village(world):
    from fangtiao.org import services

    v_user = services.staff_create(actor=None, username="v01_head", name="村主任", unit=world.units["v01_committee"],
                                   roles=["committee_head"], password="Vv-Passw0rd-1")
    assert names(Mediator.objects.visible_to(v_user)) == ["赵春花"]
