#!/usr/bin/python3
"""A stand-in for systemd-logind on a private D-Bus, for the print scout's
sleep guard test: the name org.freedesktop.login1 with Manager.Inhibit (it
answers the write end of a pipe; the lock is released when every copy of it
is closed, as logind's are) and the signals PrepareForSleep and
PrepareForShutdown. SIGUSR1 sends PrepareForSleep(true), SIGUSR2
PrepareForSleep(false) (a resume).
Prints one line per event on stdout: "ready", "inhibit WHAT|WHO|WHY|MODE",
"sleep", "resume", and "released files=N" when a lock is released, N being
the number of files under WATCH_DIR at that moment (what was stored before
the computer was let go).
usage: logind_mock.py BUS_ADDRESS WATCH_DIR
"""
import os
import signal
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

NAME = "org.freedesktop.login1"
PATH = "/org/freedesktop/login1"
MANAGER = "org.freedesktop.login1.Manager"


def say(line):
    print(line, flush=True)


def files_under(directory):
    return sum(len(files) for _, _, files in os.walk(directory))


class Manager(dbus.service.Object):
    def __init__(self, bus, watch_dir):
        super().__init__(bus, PATH)
        self.watch_dir = watch_dir

    @dbus.service.method(MANAGER, in_signature="ssss", out_signature="h")
    def Inhibit(self, what, who, why, mode):
        say(f"inhibit {what}|{who}|{why}|{mode}")
        read_end, write_end = os.pipe()
        answer = dbus.types.UnixFd(write_end)  # takes its own copy
        os.close(write_end)

        def released(fd, condition):
            say(f"released files={files_under(self.watch_dir)}")
            os.close(fd)
            return False

        GLib.io_add_watch(read_end, GLib.IO_HUP | GLib.IO_ERR | GLib.IO_IN, released)
        return answer

    @dbus.service.signal(MANAGER, signature="b")
    def PrepareForSleep(self, start):
        pass

    @dbus.service.signal(MANAGER, signature="b")
    def PrepareForShutdown(self, start):
        pass


def main():
    address, watch_dir = sys.argv[1:3]
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(address)
    keep = dbus.service.BusName(NAME, bus)  # noqa: F841 (held while we run)
    manager = Manager(bus, watch_dir)
    loop = GLib.MainLoop()

    def sleep():
        say("sleep")
        manager.PrepareForSleep(True)
        return True

    def resume():
        say("resume")
        manager.PrepareForSleep(False)
        return True

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGUSR1, sleep)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGUSR2, resume)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    say("ready")
    loop.run()
    os._exit(0)  # not through BusName's destructor, which talks to a bus that may be gone


if __name__ == "__main__":
    main()
